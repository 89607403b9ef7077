export { currentPath, currentQuery, navigate, useHashPath, matchRoute, findRoute, href, Link, type RouteDef } from './router';
