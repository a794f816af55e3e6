/**
 * The statechart as a Graphviz DOT graph, and that graph rendered to SVG by Graphviz compiled to
 * WebAssembly (`@viz-js/viz`): no browser, no native binary, and the same bytes on every run.
 *
 * Composite states are clusters; the parallel root is a dashed cluster holding one cluster per
 * region. A transition declared on a composite state (`agent.stop` on a region, the grace timers)
 * is drawn from an "any state" marker inside it: it is taken from whichever of its states is active.
 */
import { instance } from '@viz-js/viz';
import { fillOf, INK, MUTED, SUBTLE, TRIGGER_COLOURS } from './palette.js';
import { allStates, stateActivities, transitionLabel, type ChartState, type ChartTransition, type Statechart } from './statechart.js';
import { GENERATED_NOTICE } from './mermaid.js';

const FONT_NAME = 'Helvetica';

function nodeId(id: string): string {
  return JSON.stringify(id);
}

function clusterId(id: string): string {
  return JSON.stringify(`cluster_${id}`);
}

function anyStateId(region: ChartState): string {
  return nodeId(`${region.id}.*`);
}

/** A DOT HTML-like label: the state's name, then what it does in a smaller font; clusters align left. */
function htmlLabel(title: string, details: readonly string[], align: 'center' | 'left' = 'center'): string {
  const escape = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const lineBreak = align === 'left' ? '<br align="left"/>' : '<br/>';
  const lines = details.map((detail) => `${lineBreak}<font point-size="9" color="${SUBTLE}">${escape(detail)}</font>`);
  return `<<b>${escape(title)}</b>${lines.join('')}${details.length > 0 && align === 'left' ? lineBreak : ''}>`;
}

/** The first atomic state of a composite one, following initial states: where edges to its border attach. */
function anchorOf(state: ChartState): ChartState {
  if (state.children.length === 0) return state;
  const initial = state.children.find((child) => child.id === state.initial) ?? state.children[0];
  return anchorOf(initial as ChartState);
}

class DotWriter {
  readonly #lines: string[] = [];
  readonly #chart: Statechart;
  readonly #byId: ReadonlyMap<string, ChartState>;
  /** Regions (compound states) that declare transitions to their own descendants. */
  readonly #withAnyState: ReadonlySet<string>;

  constructor(chart: Statechart) {
    this.#chart = chart;
    this.#byId = new Map(allStates(chart.root).map((state) => [state.id, state]));
    this.#withAnyState = new Set(chart.transitions.filter((t) => this.#fromInside(t)).map((t) => t.source));
  }

  write(): string {
    this.#line(0, `// ${GENERATED_NOTICE}`);
    this.#line(0, `digraph ${JSON.stringify(this.#chart.root.key)} {`);
    this.#line(1, `graph [compound=true, rankdir=LR, newrank=true, nodesep=0.35, ranksep=0.7, fontname="${FONT_NAME}", fontsize=12, fontcolor="${INK}", labeljust=l, pad=0.2];`);
    this.#line(1, `node [shape=box, style="rounded,filled", color="${MUTED}", fontname="${FONT_NAME}", fontsize=11, fontcolor="${INK}", margin="0.12,0.05", height=0.36];`);
    this.#line(1, `edge [fontname="${FONT_NAME}", fontsize=9, arrowsize=0.6, penwidth=0.9];`);
    this.#state(this.#chart.root, 1);
    for (const state of this.#byId.values()) {
      if (state.initial !== undefined) this.#line(1, `${nodeId(`${state.id}.[*]`)} -> ${nodeId(state.initial)} [color="${INK}"];`);
    }
    for (const transition of this.#chart.transitions) this.#edges(transition);
    this.#line(0, '}');
    return `${this.#lines.join('\n')}\n`;
  }

  #line(depth: number, text: string): void {
    this.#lines.push(`${'  '.repeat(depth)}${text}`);
  }

  /** A transition declared on a composite state: drawn from an "any state" marker inside it. */
  #fromInside(transition: ChartTransition): boolean {
    return this.#state$(transition.source).children.length > 0;
  }

  #state(state: ChartState, depth: number): void {
    if (state.children.length === 0) {
      const final = state.kind === 'final' ? ', peripheries=2' : '';
      this.#line(depth, `${nodeId(state.id)} [label=${htmlLabel(state.key, stateActivities(state))}, fillcolor="${fillOf(state.key)}"${final}];`);
      return;
    }
    const parallel = state.kind === 'parallel';
    const title = parallel ? `${state.key}: parallel regions` : state.key;
    this.#line(depth, `subgraph ${clusterId(state.id)} {`);
    this.#line(depth + 1, `label=${htmlLabel(title, stateActivities(state), 'left')};`);
    this.#line(depth + 1, parallel ? `style="rounded,dashed"; color="${MUTED}";` : `style="rounded,filled"; color="${MUTED}"; fillcolor="${depth === 2 ? '#f9fafb' : '#ffffff'}";${depth > 2 ? ' margin=14;' : ''}`);
    if (state.initial !== undefined) {
      this.#line(depth + 1, `${nodeId(`${state.id}.[*]`)} [shape=point, width=0.1, height=0.1, style=filled, color="${INK}", label=""];`);
    }
    if (this.#withAnyState.has(state.id)) {
      this.#line(depth + 1, `${anyStateId(state)} [label="any ${state.key} state", style="rounded,dashed", fillcolor=none, fontcolor="${MUTED}"];`);
    }
    // Graphviz stacks the regions of a left-to-right layout bottom up: reverse them so the first is on top.
    for (const child of parallel ? [...state.children].reverse() : state.children) this.#state(child, depth + 1);
    this.#line(depth, '}');
  }

  #tail(transition: ChartTransition): string {
    return this.#fromInside(transition) ? anyStateId(this.#state$(transition.source)) : nodeId(transition.source);
  }

  #head(target: string): { node: string; cluster?: string } {
    const state = this.#state$(target);
    if (state.children.length === 0) return { node: nodeId(state.id) };
    return { node: nodeId(anchorOf(state).id), cluster: clusterId(state.id) };
  }

  #state$(id: string): ChartState {
    const state = this.#byId.get(id);
    if (!state) throw new Error(`no state ${id} in the chart`);
    return state;
  }

  #edges(transition: ChartTransition): void {
    const tail = this.#tail(transition);
    const colour = TRIGGER_COLOURS[transition.trigger.kind];
    const style = transition.trigger.kind === 'always' ? 'dashed' : 'solid';
    for (const target of transition.targets) {
      const head = this.#head(target);
      const attributes = [
        // JSON's "\\n" is DOT's line break: a self-loop's label goes on two narrow lines.
        `label=${JSON.stringify(` ${transitionLabel(transition).replace(' (re-enter)', '\n(re-enter)')} `)}`,
        `color="${colour}"`,
        `fontcolor="${colour}"`,
        `style=${style}`,
        // A self-loop straight above its state, clear of the edges that leave it to the right.
        ...(target === transition.source ? ['tailport=n', 'headport=n'] : []),
        ...(head.cluster ? [`lhead=${head.cluster}`] : []),
      ];
      this.#line(1, `${tail} -> ${head.node} [${attributes.join(', ')}];`);
    }
  }
}

/** The DOT source of the statechart, ending with a newline. */
export function toDot(chart: Statechart): string {
  return new DotWriter(chart).write();
}

/** Renders DOT to SVG with Graphviz (WebAssembly). Deterministic: no timestamps, no fonts read from the system. */
export async function dotToSvg(dot: string): Promise<string> {
  const viz = await instance();
  const result = viz.render(dot, { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') {
    throw new Error(`Graphviz could not render the statechart: ${result.errors.map((error) => error.message).join('; ')}`);
  }
  return result.output;
}
