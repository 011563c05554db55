// Preload for profiling a `flotilla controller` child of a bench (`--cpu-prof` is refused in
// NODE_OPTIONS): NODE_OPTIONS="--import ./bench/profile-preload.mjs" FLOTILLA_CPU_PROF_DIR=DIR.
// Profiles only processes whose argv holds `controller` (or one of FLOTILLA_CPU_PROF_COMMANDS,
// comma-separated, e.g. `apiserver`); writes DIR/<command>-<pid>.cpuprofile at exit.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const dir = process.env.FLOTILLA_CPU_PROF_DIR;
const commands = (process.env.FLOTILLA_CPU_PROF_COMMANDS ?? 'controller').split(',');
const command = commands.find((c) => process.argv.includes(c));
if (dir && command) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.once('exit', () => {
    // The in-process session answers synchronously, so this completes inside the exit handler.
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(`${dir}/${command}-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
    });
  });
}
