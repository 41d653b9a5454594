/**
 * What the door knows about topics: where they live comes from the shared topic directory
 * (always current), their UUIDs and configuration from the broker's manifest, fetched again
 * whenever the directory shows a topic the cache has not seen (new, or deleted and re-created:
 * its directory id changes).
 */
import type { TopicDirectory, TopicLocation } from '../shm/index.js';
import type { BrokerLink } from './broker-link.js';
import type { TopicInfo } from './door-protocol.js';

export interface TopicView extends TopicLocation {
  uuid: string;
  info: TopicInfo;
}

export class TopicCache {
  private byName = new Map<string, TopicInfo>();
  private byUuid = new Map<string, TopicInfo>();
  private refreshing: Promise<void> | undefined;

  constructor(private readonly directory: TopicDirectory, private readonly broker: BrokerLink) {}

  /** The topic, if it exists now. */
  async lookup(name: string): Promise<TopicView | undefined> {
    const location = this.directory.lookup(name);
    if (location === undefined) return undefined;
    let info = this.byName.get(name);
    if (info === undefined || info.id !== location.topicId) {
      await this.refresh();
      info = this.byName.get(name);
      if (info === undefined || info.id !== location.topicId) return undefined;
    }
    return { ...location, uuid: info.uuid, info };
  }

  async lookupByUuid(uuid: string): Promise<TopicView | undefined> {
    let info = this.byUuid.get(uuid);
    if (info === undefined) {
      await this.refresh();
      info = this.byUuid.get(uuid);
    }
    return info === undefined ? undefined : this.lookup(info.name);
  }

  /** Every topic, in name order. */
  async all(): Promise<TopicView[]> {
    const names = this.directory.list().map((location) => location.topic).sort();
    const views = await Promise.all(names.map((name) => this.lookup(name)));
    return views.filter((view): view is TopicView => view !== undefined);
  }

  /** The synchronous form of `lookup`, for topics the cache knows already (Fetch's hot path). */
  known(name: string): TopicView | undefined {
    const location = this.directory.lookup(name);
    const info = this.byName.get(name);
    if (location === undefined || info === undefined || info.id !== location.topicId) {
      return undefined;
    }
    return { ...location, uuid: info.uuid, info };
  }

  private refresh(): Promise<void> {
    this.refreshing ??= this.broker.call({ kind: 'topics' }).then((topics) => {
      this.byName = new Map(topics.map((t) => [t.name, t]));
      this.byUuid = new Map(topics.map((t) => [t.uuid, t]));
    }).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }
}
