// Preload for profiling a `flotilla controller` child of a bench (`--cpu-prof` is refused in
// NODE_OPTIONS): NODE_OPTIONS="--import ./bench/profile-preload.mjs" FLOTILLA_CPU_PROF_DIR=DIR.
// Profiles only processes whose argv holds `controller`; writes DIR/controller-<pid>.cpuprofile at exit.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const dir = process.env.FLOTILLA_CPU_PROF_DIR;
if (dir && process.argv.includes('controller')) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.once('exit', () => {
    // The in-process session answers synchronously, so this completes inside the exit handler.
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(`${dir}/controller-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
    });
  });
}
