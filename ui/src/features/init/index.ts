import type { RouteDef } from '../../router';
import { InitPage } from './InitPage';
import './init.css';

/** `#/init`: a new server's initialisation (no token needed: there is none yet). */
export const routes: RouteDef[] = [{ path: '/init', title: 'Initialise', public: true, component: InitPage }];
