/** The stepping clock, where the timeline script and the benchmarks import it from. */
export { SteppingClock, type StepClock } from '../../support/clocks.js';
