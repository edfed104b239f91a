// An in-memory knowledge graph: entities, typed relations, neighbours, shortest path and search over
// entity names. Bounded: entity and relation counts have caps, and every query has a result limit.
import { randomUUID } from 'node:crypto';

/** A bad request to the graph (unknown entity, duplicate id, bad field): never retried, never a breaker failure. */
export class GraphInputError extends Error {
  /** @param {string} code @param {number} status @param {string} message */
  constructor(code, status, message) {
    super(message);
    this.name = 'GraphInputError';
    this.code = code;
    this.status = status;
  }
}

const NAME_MAX = 200;
const TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** @param {unknown} value @param {string} field @param {RegExp} pattern */
function check(value, field, pattern) {
  if (typeof value !== 'string' || !pattern.test(value)) throw new GraphInputError('BAD_REQUEST', 400, `${field} must match ${pattern}`);
  return value;
}

/**
 * @typedef {{ id: string, name: string, type: string }} Entity
 * @typedef {{ from: string, to: string, type: string }} Relation
 * @typedef {{ entity: Entity, relation: string, direction: 'out' | 'in' }} Neighbour
 */

export class KnowledgeGraph {
  /** @param {{ maxEntities?: number, maxRelations?: number }} [limits] */
  constructor(limits = {}) {
    this.maxEntities = limits.maxEntities ?? 100_000;
    this.maxRelations = limits.maxRelations ?? 500_000;
    /** @type {Map<string, Entity>} */
    this.entities = new Map();
    /** @type {Map<string, Array<{ to: string, type: string, direction: 'out' | 'in' }>>} */
    this.edges = new Map();
    this.relationCount = 0;
    this.startedAt = Date.now();
  }

  /** @param {{ id?: unknown, name: unknown, type: unknown }} input @returns {Entity} */
  addEntity(input) {
    const id = input.id === undefined ? randomUUID() : check(input.id, 'id', ID_PATTERN);
    if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > NAME_MAX)
      throw new GraphInputError('BAD_REQUEST', 400, `name must be a non-empty string of at most ${NAME_MAX} characters`);
    const type = check(input.type, 'type', TYPE_PATTERN);
    if (this.entities.has(id)) throw new GraphInputError('CONFLICT', 409, `entity ${id} already exists`);
    if (this.entities.size >= this.maxEntities)
      throw new GraphInputError('GRAPH_FULL', 507, `the graph holds its maximum of ${this.maxEntities} entities`);
    const entity = { id, name: input.name.trim(), type };
    this.entities.set(id, entity);
    this.edges.set(id, []);
    return entity;
  }

  /** @param {string} id @returns {Entity | undefined} */
  getEntity(id) {
    return this.entities.get(id);
  }

  /** @param {{ from: unknown, to: unknown, type: unknown }} input @returns {Relation} */
  addRelation(input) {
    const from = check(input.from, 'from', ID_PATTERN);
    const to = check(input.to, 'to', ID_PATTERN);
    const type = check(input.type, 'type', TYPE_PATTERN);
    for (const id of [from, to]) if (!this.entities.has(id)) throw new GraphInputError('NOT_FOUND', 404, `entity ${id} does not exist`);
    const out = /** @type {Array<{ to: string, type: string, direction: 'out' | 'in' }>} */ (this.edges.get(from));
    if (out.some((e) => e.direction === 'out' && e.to === to && e.type === type)) return { from, to, type };
    if (this.relationCount >= this.maxRelations)
      throw new GraphInputError('GRAPH_FULL', 507, `the graph holds its maximum of ${this.maxRelations} relations`);
    out.push({ to, type, direction: 'out' });
    /** @type {Array<{ to: string, type: string, direction: 'out' | 'in' }>} */ (this.edges.get(to)).push({
      to: from,
      type,
      direction: 'in',
    });
    this.relationCount++;
    return { from, to, type };
  }

  /**
   * Entities one relation away, both directions, optionally of one relation type.
   * @param {string} id @param {{ type?: string, limit?: number }} [options] @returns {Neighbour[] | undefined}
   */
  neighbours(id, options = {}) {
    const edges = this.edges.get(id);
    if (edges === undefined) return undefined;
    const limit = options.limit ?? 100;
    /** @type {Neighbour[]} */
    const out = [];
    for (const edge of edges) {
      if (options.type !== undefined && edge.type !== options.type) continue;
      out.push({ entity: /** @type {Entity} */ (this.entities.get(edge.to)), relation: edge.type, direction: edge.direction });
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Fewest-hops path between two entities over relations in either direction (breadth-first), at most
   * `maxDepth` hops. Undefined when an entity is unknown; `null` when no path is that short.
   * @param {string} from @param {string} to @param {number} [maxDepth]
   * @returns {{ path: Entity[], relations: string[] } | null | undefined}
   */
  shortestPath(from, to, maxDepth = 6) {
    if (!this.entities.has(from) || !this.entities.has(to)) return undefined;
    /** @type {Map<string, { prev: string, type: string } | null>} */
    const seen = new Map([[from, null]]);
    let frontier = [from];
    for (let depth = 0; depth < maxDepth && frontier.length > 0 && !seen.has(to); depth++) {
      /** @type {string[]} */
      const next = [];
      for (const id of frontier) {
        for (const edge of /** @type {Array<{ to: string, type: string }>} */ (this.edges.get(id))) {
          if (seen.has(edge.to)) continue;
          seen.set(edge.to, { prev: id, type: edge.type });
          next.push(edge.to);
        }
      }
      frontier = next;
    }
    if (!seen.has(to)) return null;
    const ids = [to];
    const relations = [];
    for (let step = seen.get(to); step; step = seen.get(step.prev)) {
      relations.unshift(step.type);
      ids.unshift(step.prev);
    }
    return { path: ids.map((id) => /** @type {Entity} */ (this.entities.get(id))), relations };
  }

  /**
   * Entities whose name contains `query` (case-insensitive): exact names first, then prefixes, then the rest,
   * each group by name.
   * @param {string} query @param {number} [limit] @returns {Entity[]}
   */
  search(query, limit = 20) {
    const q = query.trim().toLowerCase();
    if (q === '') return [];
    /** @type {Array<[number, Entity]>} */
    const hits = [];
    for (const entity of this.entities.values()) {
      const name = entity.name.toLowerCase();
      const at = name.indexOf(q);
      if (at < 0) continue;
      hits.push([name === q ? 0 : at === 0 ? 1 : 2, entity]);
    }
    hits.sort((a, b) => a[0] - b[0] || a[1].name.localeCompare(b[1].name));
    return hits.slice(0, limit).map((h) => h[1]);
  }

  /** For the engine health check: warning near the caps. */
  healthCheck() {
    const fill = Math.max(this.entities.size / this.maxEntities, this.relationCount / this.maxRelations);
    return fill >= 0.9
      ? {
          status: 'warning',
          message: `the graph is ${Math.round(fill * 100)}% full`,
          entities: this.entities.size,
          relations: this.relationCount,
        }
      : { status: 'healthy', entities: this.entities.size, relations: this.relationCount };
  }

  /** Plain statistics for `/stats` and the status page. */
  stats() {
    /** @type {Record<string, number>} */
    const byType = {};
    for (const e of this.entities.values()) byType[e.type] = (byType[e.type] ?? 0) + 1;
    return {
      entities: this.entities.size,
      relations: this.relationCount,
      entity_types: byType,
      max_entities: this.maxEntities,
      max_relations: this.maxRelations,
      uptime_seconds: (Date.now() - this.startedAt) / 1000,
    };
  }

  /** JSON-serialisable state, for the shutdown checkpoint. */
  exportState() {
    /** @type {Array<[string, string, string]>} */
    const relations = [];
    for (const [from, edges] of this.edges) for (const e of edges) if (e.direction === 'out') relations.push([from, e.to, e.type]);
    return { version: 1, entities: [...this.entities.values()], relations };
  }

  /** Replaces the graph with a checkpointed state; returns what was loaded. @param {any} state */
  importState(state) {
    if (state?.version !== 1 || !Array.isArray(state.entities) || !Array.isArray(state.relations))
      throw new GraphInputError('BAD_CHECKPOINT', 500, 'unrecognised graph checkpoint');
    this.entities.clear();
    this.edges.clear();
    this.relationCount = 0;
    for (const e of state.entities) this.addEntity(e);
    for (const [from, to, type] of state.relations) this.addRelation({ from, to, type });
    return { entities: this.entities.size, relations: this.relationCount };
  }
}
