// Preloaded with `node --require`: makes every copy of a peer dependency resolve to this
// application's, as npm would install them. In the monorepo, @sentinelkit/nestjs resolves imports
// from packages/nestjs, where NestJS 12 is installed for its own tests; an application has one
// @nestjs/common (its own), which is what this test must run against.
const Module = require('node:module');
const path = require('node:path');

const PEERS = ['@nestjs/', 'rxjs', 'reflect-metadata', 'cache-manager', 'keyv'];
const anchorFile = path.join(__dirname, 'package.json');
const anchor = new Module(anchorFile);
anchor.filename = anchorFile;
anchor.paths = Module._nodeModulePaths(__dirname);

const isPeer = (request) =>
  PEERS.some((peer) =>
    peer.endsWith('/')
      ? request.startsWith(peer)
      : request === peer || request.startsWith(`${peer}/`),
  );

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, isMain, options) {
  return resolve.call(this, request, isPeer(request) ? anchor : parent, isMain, options);
};
