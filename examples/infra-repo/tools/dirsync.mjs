#!/usr/bin/env node
// The demo's deployment tool: publishes a directory to a target directory, Terraform-style.
//   dirsync.mjs plan <source dir> <target dir> <plan file>   writes a plan (pushgate-plan/1 JSON)
//   dirsync.mjs apply <plan file>                            applies exactly that plan
// The plan carries the bytes it will write, so apply never reads the working tree: what was
// reviewed is what lands. Exit code 1 with a message on any error.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const IGNORED = new Set(['plan.json', 'pushgate.plan', '.git']);

function listFiles(root) {
  if (!existsSync(root)) return [];
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (IGNORED.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out.push(relative(root, path));
    }
  };
  walk(root);
  return out.sort();
}

const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');

function plan(source, target, planFile) {
  if (!statSync(source, { throwIfNoEntry: false })?.isDirectory()) fail(`source ${source} is not a directory`);
  const wanted = new Map(listFiles(source).map((file) => [file, readFileSync(join(source, file))]));
  const present = new Map(listFiles(target).map((file) => [file, readFileSync(join(target, file))]));
  const changes = [];
  for (const [file, bytes] of wanted) {
    const old = present.get(file);
    if (!old) changes.push({ action: 'create', address: file, content: bytes.toString('base64') });
    else if (sha(old) !== sha(bytes))
      changes.push({ action: 'update', address: file, content: bytes.toString('base64') });
  }
  for (const file of present.keys()) if (!wanted.has(file)) changes.push({ action: 'delete', address: file });
  writeFileSync(planFile, JSON.stringify({ format: 'pushgate-plan/1', target, changes }, null, 2));
  for (const change of changes)
    console.log(`  ${{ create: '+', update: '~', delete: '-' }[change.action]} ${change.address}`);
  const count = (action) => changes.filter((change) => change.action === action).length;
  console.log(`Plan: ${count('create')} to add, ${count('update')} to change, ${count('delete')} to destroy.`);
}

function apply(planFile) {
  const { format, target, changes } = JSON.parse(readFileSync(planFile, 'utf8'));
  if (format !== 'pushgate-plan/1') fail(`${planFile} is not a dirsync plan`);
  for (const change of changes) {
    const path = join(target, change.address);
    if (change.action === 'delete') rmSync(path, { force: true });
    else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, Buffer.from(change.content, 'base64'));
    }
    console.log(`  ${change.action} ${change.address}`);
  }
  console.log(`Apply complete! ${changes.length} file(s) changed in ${target}.`);
}

function fail(message) {
  console.error(`dirsync: ${message}`);
  process.exit(1);
}

const [command, ...args] = process.argv.slice(2);
if (command === 'plan' && args.length === 3) plan(...args);
else if (command === 'apply' && args.length === 1) apply(args[0]);
else fail('usage: dirsync.mjs plan <source> <target> <plan file> | apply <plan file>');
