import type { ComponentHealthSnapshot } from '../health/component.js';
import type { SystemHealthReport } from '../health/report.js';
import { isServing } from '../health/report.js';
import { toIetfStatus, type IetfHealthStatus } from '../health/status.js';

/** One entry of an IETF health document's `checks`. */
export interface IetfCheck {
  componentId: string;
  componentType: string;
  observedValue?: number | string | boolean;
  observedUnit?: string;
  status: IetfHealthStatus;
  time?: string;
  output?: string;
}

/** The `application/health+json` document (draft-inadarei-api-health-check). */
export interface IetfHealthDocument {
  status: IetfHealthStatus;
  serviceId?: string;
  version?: string;
  description?: string;
  output?: string;
  checks?: Record<string, IetfCheck[]>;
}

/** Service identity fields of the health document. */
export interface HealthDocumentIdentity {
  serviceId?: string;
  version?: string;
  description?: string;
}

function reasonOf(c: ComponentHealthSnapshot): string {
  if (c.stale) return c.lastCheckTime === undefined ? 'not checked yet' : 'no result within the maximum age';
  return c.lastError ?? c.result?.output ?? c.status;
}

/**
 * The IETF document of a report. `detailed` adds `checks` (keyed `component:measurement`) and outputs;
 * without it only the overall status is told.
 */
export function renderHealthDocument(
  report: SystemHealthReport,
  shuttingDown: boolean,
  detailed: boolean,
  identity: HealthDocumentIdentity,
): IetfHealthDocument {
  const status: IetfHealthStatus = shuttingDown ? 'fail' : toIetfStatus(report.status);
  const doc: IetfHealthDocument = { status, ...identity };
  if (!detailed) return doc;
  if (shuttingDown) doc.output = 'shutting down';
  else if (report.essentialFailures.length > 0) doc.output = `essential components not serving: ${report.essentialFailures.join(', ')}`;
  const checks: Record<string, IetfCheck[]> = {};
  for (const c of Object.values(report.components)) {
    const result = c.result;
    const entry: IetfCheck = { componentId: c.name, componentType: result?.componentType ?? 'component', status: toIetfStatus(c.status) };
    if (!c.stale && result?.observedValue !== undefined) entry.observedValue = result.observedValue;
    if (!c.stale && result?.observedUnit !== undefined) entry.observedUnit = result.observedUnit;
    if (c.lastCheckTime !== undefined) entry.time = new Date(c.lastCheckTime).toISOString();
    if (c.status !== 'healthy') entry.output = reasonOf(c);
    const key = `${c.name}:${result?.measurement ?? 'status'}`;
    (checks[key] ??= []).push(entry);
  }
  doc.checks = checks;
  return doc;
}

/** Readiness of a report with some components excluded. */
export function readiness(report: SystemHealthReport, shuttingDown: boolean, exclude: ReadonlySet<string>): boolean {
  if (shuttingDown) return false;
  for (const c of Object.values(report.components)) {
    if (c.essential && !exclude.has(c.name) && !isServing(c.status)) return false;
  }
  return true;
}

/**
 * The Kubernetes-style listing of `/readyz?verbose`: `[+]name ok`, `[-]name failed: reason`, `[+]name
 * excluded: ok`, then the verdict. Reasons are withheld from unauthorised readers.
 */
export function renderReadyzVerbose(
  report: SystemHealthReport,
  shuttingDown: boolean,
  exclude: ReadonlySet<string>,
  ready: boolean,
  detailed: boolean,
): string {
  const lines: string[] = [shuttingDown ? `[-]shutdown failed: ${detailed ? 'shutting down' : 'reason withheld'}` : '[+]shutdown ok'];
  for (const c of Object.values(report.components)) {
    if (!c.essential) continue;
    if (exclude.has(c.name)) lines.push(`[+]${c.name} excluded: ok`);
    else if (isServing(c.status)) lines.push(`[+]${c.name} ok`);
    else lines.push(`[-]${c.name} failed: ${detailed ? `${c.status}: ${oneLine(reasonOf(c))}` : 'reason withheld'}`);
  }
  lines.push(ready ? 'readyz check passed' : 'readyz check failed');
  return `${lines.join('\n')}\n`;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
