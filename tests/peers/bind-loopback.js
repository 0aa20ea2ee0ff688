// Preloaded into the autorest test server (NODE_OPTIONS=--require this file): every listen() on a
// TCP port binds 127.0.0.1, whatever host (or none) the caller asked for. The server has no bind
// option and would otherwise listen on all interfaces. Unix sockets and handles are left alone.
"use strict";
const net = require("net");
const original = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (first !== null && typeof first === "object" && !Array.isArray(first)) {
    if (first.path === undefined && first.handle === undefined && first._handle === undefined && first.fd === undefined)
      args[0] = Object.assign({}, first, { host: "127.0.0.1" });
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, cb]): replace a host argument, or insert one.
    if (typeof args[1] === "string") args[1] = "127.0.0.1";
    else args.splice(1, 0, "127.0.0.1");
  } else if (first === undefined || typeof first === "function") {
    // listen() / listen(cb): a random port on all interfaces -> on loopback.
    args.unshift(0, "127.0.0.1");
    if (args[2] === undefined) args.splice(2, 1);
  }
  return original.apply(this, args);
};
