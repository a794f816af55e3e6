/**
 * The statechart as a Mermaid `stateDiagram-v2`: nested states as composite states, the parallel
 * regions side by side (separated by `--` inside the root), initial and final states, every
 * transition labelled with its event, named delay or invoked actor, and its guard.
 *
 * A transition declared on a composite state (`agent.stop` on a region, the grace timers) is drawn
 * from an "any state" marker inside it, as in the SVG: it is taken from whichever of its states is
 * active, and Mermaid cannot draw an edge from a composite state to a state inside it.
 *
 * Where a transition is written matters to Mermaid: one between siblings goes inside their parent;
 * one that crosses a composite state's border goes at the top level, after every state is declared
 * (written inside a composite, it would pull the states it names out of theirs).
 */
import { allStates, stateActivities, transitionLabel, type ChartState, type ChartTransition, type Statechart } from './statechart.js';

export const GENERATED_NOTICE = 'Generated from machines/license-agent.machine.ts by `npm run viz`: do not edit.';

function escapeLabel(text: string): string {
  // `;` ends a statement and `#` starts an entity in Mermaid labels.
  return text.replaceAll(';', ',').replaceAll('#', '');
}

function parentOf(id: string): string {
  return id.slice(0, id.lastIndexOf('.'));
}

class MermaidWriter {
  readonly #lines: string[] = [];
  readonly #chart: Statechart;
  readonly #byId: ReadonlyMap<string, ChartState>;
  /** Composite states that declare transitions of their own: each gets an "any state" marker. */
  readonly #withAnyState: readonly ChartState[];

  constructor(chart: Statechart) {
    this.#chart = chart;
    this.#byId = new Map(allStates(chart.root).map((state) => [state.id, state]));
    this.#withAnyState = allStates(chart.root).filter(
      (state) => state.children.length > 0 && chart.transitions.some((transition) => transition.source === state.id),
    );
  }

  write(): string {
    this.#line(0, 'stateDiagram-v2');
    this.#line(1, `%% ${GENERATED_NOTICE}`);
    this.#state(this.#chart.root, 1);
    const crossing = this.#chart.transitions.filter((transition) => this.#siblingsParent(transition) === undefined);
    for (const transition of crossing) this.#transition(transition, 1);
    if (this.#withAnyState.length > 0) {
      this.#line(1, 'classDef anyState fill:none,stroke-dasharray:4 4,font-style:italic');
      this.#line(1, `class ${this.#withAnyState.map((state) => this.#anyId(state.id)).join(', ')} anyState`);
    }
    return `${this.#lines.join('\n')}\n`;
  }

  #line(depth: number, text: string): void {
    this.#lines.push(`${'  '.repeat(depth)}${text}`);
  }

  /** `licenseAgent.validity.grace.early` → `validity_grace_early`; the root keeps its key. */
  #id(id: string): string {
    const root = this.#chart.root;
    return id === root.id ? root.key : id.slice(root.id.length + 1).replaceAll('.', '_');
  }

  #anyId(compositeId: string): string {
    return `${this.#id(compositeId)}_any`;
  }

  /** Where a transition starts on the diagram: its state, or the "any state" marker of a composite one. */
  #from(transition: ChartTransition): { id: string; parent: string } {
    const source = this.#byId.get(transition.source);
    if (source && source.children.length > 0) return { id: this.#anyId(source.id), parent: source.id };
    return { id: this.#id(transition.source), parent: parentOf(transition.source) };
  }

  /** The composite state holding both ends of a transition as direct children, if there is one. */
  #siblingsParent(transition: ChartTransition): string | undefined {
    const { parent } = this.#from(transition);
    return transition.targets.every((target) => parentOf(target) === parent) ? parent : undefined;
  }

  #transition(transition: ChartTransition, depth: number): void {
    const from = this.#from(transition).id;
    for (const target of transition.targets) {
      this.#line(depth, `${from} --> ${this.#id(target)} : ${escapeLabel(transitionLabel(transition))}`);
    }
  }

  #state(state: ChartState, depth: number): void {
    const id = this.#id(state.id);
    const title = state.kind === 'parallel' ? `${state.key} (parallel regions)` : state.key;
    if (state.children.length === 0) {
      this.#line(depth, `state "${title}" as ${id}`);
      for (const activity of stateActivities(state)) this.#line(depth, `${id} : ${escapeLabel(activity)}`);
      return;
    }
    // Mermaid gives a composite state a title and nothing else: what it does goes into the title.
    const activities = stateActivities(state);
    const heading = activities.length === 0 ? title : `${title} (${activities.join(', ')})`;
    this.#line(depth, `state "${escapeLabel(heading)}" as ${id} {`);
    if (state.initial !== undefined) this.#line(depth + 1, `[*] --> ${this.#id(state.initial)}`);
    state.children.forEach((child, index) => {
      if (state.kind === 'parallel' && index > 0) this.#line(depth + 1, '--');
      this.#state(child, depth + 1);
    });
    if (this.#withAnyState.includes(state)) this.#line(depth + 1, `state "any ${state.key} state" as ${this.#anyId(state.id)}`);
    for (const transition of this.#chart.transitions) {
      if (this.#siblingsParent(transition) === state.id) this.#transition(transition, depth + 1);
    }
    for (const child of state.children) {
      if (child.kind === 'final') this.#line(depth + 1, `${this.#id(child.id)} --> [*]`);
    }
    this.#line(depth, '}');
  }
}

/** The Mermaid source of the statechart, ending with a newline. */
export function toMermaid(chart: Statechart): string {
  return new MermaidWriter(chart).write();
}
