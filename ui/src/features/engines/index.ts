import type { RouteDef } from '../../router';
import { EnginesPage } from './EnginesPage';
import './engines.css';

export const routes: RouteDef[] = [{ path: '/engines', title: 'Secrets engines', nav: { label: 'Engines', order: 60 }, component: EnginesPage }];
