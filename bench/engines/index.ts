/**
 * The engines of W1–W4, by id, loaded on demand: a child imports only the engine it measures (LangGraph alone
 * pulls in a tokenizer), which keeps start-up short and CPU profiles clean.
 * @module
 */
import type { Engine, EngineId } from './engine.js';

const LOADERS: Readonly<Record<EngineId, () => Promise<Engine>>> = {
  b0: async () => (await import('./b0.js')).b0,
  onex: async () => (await import('./onex.js')).onex,
  langgraph: async () => (await import('./langgraph.js')).langgraph,
  llamaindex: async () => (await import('./llamaindex.js')).llamaindex,
  'p-graph': async () => (await import('./p-graph.js')).pGraph,
};

export function loadEngine(id: EngineId): Promise<Engine> {
  return LOADERS[id]();
}
