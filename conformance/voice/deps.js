'use strict';
// The npm packages live in ../discordjs/node_modules (one install of discord.js for the gateway and
// voice conformance runs); this resolves them from there.
module.exports = require('node:module').createRequire(require('node:path').join(__dirname, '../discordjs/package.json'));
