/**
 * The recording admin as `flotilla sandbox --flyte` runs it: in the sandbox process, loopback only,
 * a bearer token generated per start (`<stateDir>/admin/token`, mode 0600: no anonymous writes),
 * every accepted event appended as a JSON line to `<stateDir>/admin/events.jsonl`, and the
 * replicas' flags to reach it. sandbox.json names it as `admin.address`.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startRecordingAdmin, type ExecutionLauncher, type RecordingAdmin } from './server.js';

export interface SandboxAdmin {
  readonly admin: RecordingAdmin;
  readonly tokenFile: string;
  readonly eventsFile: string;
  /** `flotilla controller` flags that send the FlyteWorkflows' events here. */
  readonly replicaArgs: readonly string[];
  stop(): Promise<void>;
}

export async function startSandboxAdmin(stateDir: string, launcher?: ExecutionLauncher): Promise<SandboxAdmin> {
  const dir = join(stateDir, 'admin');
  mkdirSync(dir, { recursive: true });
  const tokenFile = join(dir, 'token');
  const eventsFile = join(dir, 'events.jsonl');
  const token = randomBytes(24).toString('base64url');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  writeFileSync(eventsFile, '');
  const admin = await startRecordingAdmin({ security: { token }, ...(launcher ? { launcher } : {}) });
  const unsubscribe = admin.records.onRecord((event) => appendFileSync(eventsFile, `${JSON.stringify(event)}\n`));
  return {
    admin,
    tokenFile,
    eventsFile,
    replicaArgs: ['--admin-endpoint', admin.address, '--admin-insecure', '--admin-token-file', tokenFile],
    stop: async () => {
      unsubscribe();
      await admin.stop();
    },
  };
}
