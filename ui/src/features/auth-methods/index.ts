import { createElement, lazy, Suspense } from 'react';
import { Spinner } from '../../components';
import type { RouteDef } from '../../router';

// Lazy: loaded when an auth page is first opened.
const Pages = {
  list: lazy(() => import('./AuthMethodsPage').then((m) => ({ default: m.AuthMethodsPage }))),
  mount: lazy(() => import('./AuthMountPage').then((m) => ({ default: m.AuthMountPage }))),
  role: lazy(() => import('./AppRoleRolePage').then((m) => ({ default: m.AppRoleRolePage }))),
  locked: lazy(() => import('./LockedUsersPage').then((m) => ({ default: m.LockedUsersPage }))),
};

function page(C: (typeof Pages)[keyof typeof Pages]) {
  return (props: { params: Record<string, string> }) => createElement(Suspense, { fallback: createElement(Spinner) }, createElement(C, props));
}

export const routes: RouteDef[] = [
  { path: '/auth', title: 'Auth methods', nav: { label: 'Auth methods', order: 50 }, component: page(Pages.list) },
  { path: '/auth/:mount', title: 'Auth method', component: page(Pages.mount) },
  { path: '/auth/:mount/role-new', title: 'New AppRole role', component: page(Pages.role) },
  { path: '/auth/:mount/role/:role', title: 'AppRole role', component: page(Pages.role) },
  { path: '/locked-users', title: 'Locked users', component: page(Pages.locked) },
];
