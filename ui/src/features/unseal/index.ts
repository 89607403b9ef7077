import type { RouteDef } from '../../router';
import { UnsealPage } from './UnsealPage';
import './unseal.css';

/** `#/unseal`: enter key shares until the threshold is reached (no token needed). */
export const routes: RouteDef[] = [{ path: '/unseal', title: 'Unseal', public: true, component: UnsealPage }];
