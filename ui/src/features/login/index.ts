import type { RouteDef } from '../../router';
import { LoginPage } from './LoginPage';
import { SessionPage } from './SessionPage';
import './login.css';

export const routes: RouteDef[] = [
  { path: '/login', title: 'Log in', public: true, component: LoginPage },
  { path: '/session', title: 'Session', nav: { label: 'Session', order: 90 }, component: SessionPage },
];
