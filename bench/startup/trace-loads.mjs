// Preloaded (--import) in one extra, untimed run of agent.mjs: records every module URL resolved,
// so the report can say which packages the start path loads (undici must not be one of them).
import { register } from 'node:module';

register('./trace-hooks.mjs', import.meta.url);
