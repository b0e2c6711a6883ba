#!/usr/bin/env node
console.log("vnet: under construction");
