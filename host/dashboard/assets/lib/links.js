// Addresses of the dashboard's pages, built in one place.

import { segment, withQuery } from './api.js';

export const executionHref = (id) => `#/executions/${segment(id)}`;

export const traceHref = (id) => `#/traces/${segment(id)}`;

/** The executions list with filters, e.g. {workflow: 'order'}. */
export const executionsHref = (filters = {}) => withQuery('#/executions', filters);
