/** The package's subpath entries by task (`@llmkg/production/<name>`), in the order of the exports map. */
export declare const TASK_ENTRIES: readonly string[];
