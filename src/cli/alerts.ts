/**
 * `mamba alerts export --alerts alerts.yaml`: the broker's alert rules as a Prometheus
 * alerting-rules file on stdout, for teams that scrape `/metrics` with their own Prometheus and
 * Alertmanager. The rules are checked exactly as `mamba serve --alerts` checks them.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MambaError } from '../errors.js';
import { exportPrometheusRules, parseAlertConfig } from '../ops/index.js';

const alertsUsage = 'usage: mamba alerts export --alerts alerts.yaml';

export async function alertsCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { alerts: { type: 'string' }, help: { type: 'boolean' } },
      allowPositionals: true });
  } catch (error) {
    throw new MambaError('INVALID_CONFIG', `${(error as Error).message}\n${alertsUsage}`);
  }
  if (parsed.values.help === true) {
    console.log(alertsUsage);
    return 0;
  }
  const [action] = parsed.positionals;
  const file = parsed.values.alerts;
  if (action !== 'export' || file === undefined || parsed.positionals.length !== 1) {
    console.error(alertsUsage);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MambaError('INVALID_CONFIG', `cannot read ${file}: ${(error as Error).message}`);
  }
  process.stdout.write(exportPrometheusRules(parseAlertConfig(text, file)));
  return 0;
}
