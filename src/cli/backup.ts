/**
 * `mamba backup` and `mamba restore`. A backup reads a data directory without its lock, so
 * it runs beside a live broker (ops/backup.ts says why the snapshot is consistent); a restore
 * verifies every checksum before it writes, then renames a complete directory into place.
 */
import { backupDataDir, restoreBackup, verifyBackup } from '../ops/index.js';
import { parseCommandLine } from './command-line.js';
import { ADMIN_EXIT_CODES, printJson, runAdmin } from './admin-cli.js';
import { MambaError } from '../errors.js';

const backupUsage = `usage: mamba backup --data-dir DIR --to BACKUP-DIR [--incremental PREVIOUS]
                    [--json]

Takes a consistent snapshot of DIR into BACKUP-DIR (which must not exist or be empty) while
a broker runs on DIR or not: the topic manifest, committed offsets, and per partition the
checkpoint and every segment up to its last valid batch, with a manifest of SHA-256
checksums (BACKUP-DIR/backup.json). Every record acknowledged before the backup started is in
it. --incremental PREVIOUS: sealed segments PREVIOUS holds are named, not copied; keep
PREVIOUS (and its own bases) next to the new backup.

${ADMIN_EXIT_CODES}`;

const restoreUsage = `usage: mamba restore --from BACKUP-DIR --data-dir DIR [--verify-only] [--json]

Checks every file of the backup (and of the backups it builds on) against its SHA-256 before
writing anything; a damaged or missing file is refused with its path (exit code 5). Then
writes DIR.restore-<id>, syncs it and renames it to DIR, which must not exist or be empty.
--verify-only: check the backup, write nothing.

${ADMIN_EXIT_CODES}`;

const backupFlags = {
  'data-dir': { type: 'string' }, to: { type: 'string' }, incremental: { type: 'string' },
  json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

const restoreFlags = {
  from: { type: 'string' }, 'data-dir': { type: 'string' }, 'verify-only': { type: 'boolean' },
  json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') {
    throw new MambaError('INVALID_CONFIG', `give ${flag}`);
  }
  return value;
}

export function backupCommand(args: string[]): Promise<number> {
  return runAdmin('backup', args, async () => {
    if (args.includes('--help') || args.includes('-h')) {
      console.log(backupUsage);
      return 0;
    }
    const values = parseCommandLine(args, backupFlags);
    const report = await backupDataDir(required(values['data-dir'], '--data-dir DIR'),
      required(values.to, '--to BACKUP-DIR'), { incrementalFrom: values.incremental });
    if (values.json === true) {
      printJson(report);
      return 0;
    }
    const records = report.partitions.reduce((sum, p) => sum + p.endOffset - p.logStartOffset,
      0);
    console.log(`backup ${report.id} in ${report.dir}: ${report.partitions.length} ` +
      `partitions, ${records} records, ${report.groups.length} groups; ${report.fileCount} ` +
      `files (${report.copiedFileCount} copied, ${report.copiedBytes} bytes; ` +
      `${report.reusedFileCount} named from the previous backup)`);
    for (const skipped of report.skipped) console.log(`skipped: ${skipped}`);
    return 0;
  });
}

export function restoreCommand(args: string[]): Promise<number> {
  return runAdmin('restore', args, async () => {
    if (args.includes('--help') || args.includes('-h')) {
      console.log(restoreUsage);
      return 0;
    }
    const values = parseCommandLine(args, restoreFlags);
    const from = required(values.from, '--from BACKUP-DIR');
    if (values['verify-only'] === true) {
      const manifest = await verifyBackup(from);
      if (values.json === true) printJson({ verified: manifest.id, files: manifest.files.length });
      else console.log(`backup ${manifest.id}: ${manifest.files.length} files, all verified`);
      return 0;
    }
    const report = await restoreBackup(from, required(values['data-dir'], '--data-dir DIR'));
    if (values.json === true) printJson(report);
    else console.log(`restored backup ${report.backupId} into ${report.dataDir}: ` +
      `${report.fileCount} files, ${report.bytes} bytes, ${report.partitions.length} ` +
      `partitions, ${report.groups.length} groups`);
    return 0;
  });
}
