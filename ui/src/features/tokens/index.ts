import type { RouteDef } from '../../router';
import { TokensPage } from './TokensPage';
import './tokens.css';

export const routes: RouteDef[] = [{ path: '/tokens', title: 'Tokens', nav: { label: 'Tokens', order: 70 }, component: TokensPage }];
