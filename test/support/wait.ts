/** The polling helper lives beside the sandbox, which starts Redis groups with it too. */
export { waitFor } from '../../sandbox/wait.js';
