/**
 * The Key Vault view: vaults, secrets, access policies and role assignments, and the Azure
 * identities (service principals, managed identities). The pages are lazy-loaded: their code is
 * fetched on first visit, not with the initial bundle.
 */
import { createElement, lazy, Suspense, type ComponentType } from 'react';
import { Spinner } from '../../components';
import type { RouteDef } from '../../router';

type Page = ComponentType<{ params: Record<string, string> }>;

/** Wraps a lazily imported page in its own Suspense boundary (the shell has none). */
function lazyPage(load: () => Promise<{ default: Page }>): Page {
  const Lazy = lazy(load);
  return function LazyKeyVaultPage(props) {
    return createElement(Suspense, { fallback: createElement(Spinner, { label: 'Loading the page…' }) }, createElement(Lazy, props));
  };
}

const VaultsPage = lazyPage(() => import('./VaultsPage').then((m) => ({ default: m.VaultsPage })));
const VaultPage = lazyPage(() => import('./VaultPage').then((m) => ({ default: m.VaultPage })));
const SecretPage = lazyPage(() => import('./SecretPage').then((m) => ({ default: m.SecretPage })));
const AccessPage = lazyPage(() => import('./AccessPage').then((m) => ({ default: m.AccessPage })));
const IdentitiesPage = lazyPage(() => import('./IdentitiesPage').then((m) => ({ default: m.IdentitiesPage })));

export const routes: RouteDef[] = [
  { path: '/keyvault', title: 'Key Vault', nav: { label: 'Key Vault', order: 64 }, component: VaultsPage },
  { path: '/azure-identities', title: 'Azure identities', nav: { label: 'Azure identities', order: 65 }, component: IdentitiesPage },
  { path: '/keyvault/:vault/access', title: 'Vault access', component: AccessPage },
  { path: '/keyvault/:vault/secrets/:name', title: 'Key Vault secret', component: SecretPage },
  { path: '/keyvault/:vault', title: 'Vault', component: VaultPage },
];
