import { createElement, lazy, Suspense } from 'react';
import { Spinner } from '../../components';
import type { RouteDef } from '../../router';

// Lazy: loaded when an audit page is first opened.
const Pages = {
  list: lazy(() => import('./AuditPage').then((m) => ({ default: m.AuditPage }))),
  log: lazy(() => import('./AuditLogPage').then((m) => ({ default: m.AuditLogPage }))),
};

function page(C: (typeof Pages)[keyof typeof Pages]) {
  return (props: { params: Record<string, string> }) => createElement(Suspense, { fallback: createElement(Spinner) }, createElement(C, props));
}

export const routes: RouteDef[] = [
  { path: '/audit', title: 'Audit devices', nav: { label: 'Audit', order: 68 }, component: page(Pages.list) },
  { path: '/audit/:device/log', title: 'Audit log', component: page(Pages.log) },
];
