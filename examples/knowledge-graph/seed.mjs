// A small starting graph, so a fresh `npm start` has something to search and walk.
const PEOPLE = [
  ['ada', 'Ada Lovelace'],
  ['babbage', 'Charles Babbage'],
  ['turing', 'Alan Turing'],
  ['hopper', 'Grace Hopper'],
  ['shannon', 'Claude Shannon'],
  ['vonneumann', 'John von Neumann'],
  ['church', 'Alonzo Church'],
  ['knuth', 'Donald Knuth'],
];
const THINGS = [
  ['analytical-engine', 'Analytical Engine', 'Machine'],
  ['turing-machine', 'Turing Machine', 'Concept'],
  ['lambda-calculus', 'Lambda Calculus', 'Concept'],
  ['cobol', 'COBOL', 'Language'],
  ['information-theory', 'Information Theory', 'Field'],
  ['edvac', 'EDVAC', 'Machine'],
  ['taocp', 'The Art of Computer Programming', 'Book'],
];
const RELATIONS = [
  ['ada', 'analytical-engine', 'wrote_about'],
  ['babbage', 'analytical-engine', 'designed'],
  ['ada', 'babbage', 'worked_with'],
  ['turing', 'turing-machine', 'invented'],
  ['church', 'lambda-calculus', 'invented'],
  ['turing', 'church', 'studied_under'],
  ['hopper', 'cobol', 'influenced'],
  ['shannon', 'information-theory', 'founded'],
  ['vonneumann', 'edvac', 'designed'],
  ['turing', 'vonneumann', 'met'],
  ['knuth', 'taocp', 'wrote'],
  ['shannon', 'turing', 'met'],
  ['babbage', 'turing', 'influenced'],
  ['knuth', 'turing-machine', 'wrote_about'],
  ['hopper', 'vonneumann', 'worked_with'],
];

/** Adds the sample entities and relations. @param {import('./engine.mjs').KnowledgeGraph} graph */
export function seedGraph(graph) {
  for (const [id, name] of PEOPLE) graph.addEntity({ id, name, type: 'Person' });
  for (const [id, name, type] of THINGS) graph.addEntity({ id, name, type });
  for (const [from, to, type] of RELATIONS) graph.addRelation({ from, to, type });
}
