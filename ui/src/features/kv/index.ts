/**
 * The KV browser (issue 9): folders, secrets, versions, metadata, CAS conflicts and bulk `.env`
 * edits of KV v1 and v2 mounts. The pages are lazy-loaded (their own chunk, kept out of the
 * initial bundle).
 */
import { createElement, lazy, Suspense } from 'react';
import type { RouteDef } from '../../router';
import { Spinner } from '../../components';
import type { KvView } from './KvApp';

const KvApp = lazy(() => import('./KvApp'));

function page(view: KvView) {
  return function KvRoute({ params }: { params: Record<string, string> }) {
    return createElement(Suspense, { fallback: createElement(Spinner) }, createElement(KvApp, { view, params }));
  };
}

export const routes: RouteDef[] = [
  { path: '/kv', title: 'KV secrets', nav: { label: 'KV secrets', order: 25 }, component: page('mounts') },
  { path: '/kv/:mount', title: 'KV secrets', component: page('folder') },
  { path: '/kv/:mount/folder/*', title: 'KV folder', component: page('folder') },
  { path: '/kv/:mount/secret/*', title: 'KV secret', component: page('secret') },
  { path: '/kv/:mount/new/*', title: 'New KV secret', component: page('new') },
  { path: '/kv/:mount/bulk/*', title: 'Bulk edit KV folder', component: page('bulk') },
];
