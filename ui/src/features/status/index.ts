import type { RouteDef } from '../../router';
import { StatusPage } from './StatusPage';

export const routes: RouteDef[] = [{ path: '/status', title: 'Status', nav: { label: 'Status', order: 10 }, public: true, component: StatusPage }];
