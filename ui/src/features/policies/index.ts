import { createElement, lazy, Suspense } from 'react';
import { Spinner } from '../../components';
import type { RouteDef } from '../../router';

// Lazy: the editor and checker load when first opened, not with the initial bundle.
const Pages = {
  list: lazy(() => import('./PoliciesPage').then((m) => ({ default: m.PoliciesPage }))),
  edit: lazy(() => import('./PolicyEditPage').then((m) => ({ default: m.PolicyEditPage }))),
  caps: lazy(() => import('./CapabilitiesPage').then((m) => ({ default: m.CapabilitiesPage }))),
};

function page(C: (typeof Pages)[keyof typeof Pages]) {
  return (props: { params: Record<string, string> }) => createElement(Suspense, { fallback: createElement(Spinner) }, createElement(C, props));
}

export const routes: RouteDef[] = [
  { path: '/policies', title: 'Policies', nav: { label: 'Policies', order: 40 }, component: page(Pages.list) },
  { path: '/policy-new', title: 'New policy', component: page(Pages.edit) },
  { path: '/policy/:name', title: 'Policy', component: page(Pages.edit) },
  { path: '/capabilities', title: 'Capabilities', nav: { label: 'Capabilities', order: 45 }, component: page(Pages.caps) },
];
