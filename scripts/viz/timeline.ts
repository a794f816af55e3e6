/**
 * `npm run viz:timeline`: runs the 60-day scenario (`timeline/scenario.ts`) in simulated time
 * against the reference license server and draws what the agent did into
 * `visualizations/timeline.svg`. Deterministic: a seeded random and a fixed start instant, so the
 * same code gives the same bytes.
 */
import { writeGenerated } from './files.js';
import { drawTimeline } from './timeline/draw.js';
import { runTimeline } from './timeline/scenario.js';

await writeGenerated({ 'timeline.svg': drawTimeline(await runTimeline()) });
