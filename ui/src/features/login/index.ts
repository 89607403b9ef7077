import type { RouteDef } from '../../router';
import { LoginPage } from './LoginPage';

export const routes: RouteDef[] = [{ path: '/login', title: 'Log in', public: true, component: LoginPage }];
