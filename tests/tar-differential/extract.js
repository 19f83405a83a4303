// Extract tarballs as `npm install` does (pacote's extract, from the npm on PATH or NPM_DIR)
// and print, for each, one JSON line: {"archive": name, "files": [[path, size, sha256], ...]}
// or {"archive": name, "error": code}. Usage: node extract.js DIR   (every *.tgz in DIR)
'use strict'
const path = require('path')
const fs = require('fs')
const crypto = require('crypto')
const { execFileSync } = require('child_process')

const npmDir = process.env.NPM_DIR ||
  path.join(execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim(), 'npm')
const pacote = require(path.join(npmDir, 'node_modules', 'pacote'))

const list = (dir, rel, out) => {
  for (const n of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, n)
    const r = rel ? rel + '/' + n : n
    const st = fs.lstatSync(p)
    if (st.isDirectory()) {
      list(p, r, out)
    } else if (st.isFile()) {
      const b = fs.readFileSync(p)
      out.push([r, b.length, crypto.createHash('sha256').update(b).digest('hex')])
    } else {
      out.push([r, -1, 'not-a-file'])
    }
  }
  return out
}

// A throw inside node-tar's stream handlers escapes the promise: keep going.
let current = null
process.on('uncaughtException', e => { if (current) current(e) })

// Some archives leave pacote's promise pending with nothing left to do (node would exit in
// the middle of the list): a timer keeps the loop alive and ends the wait.
const one = (file, dest) => new Promise(resolve => {
  const timer = setTimeout(() => resolve({ error: 'stalled' }), 10000)
  const done = r => { clearTimeout(timer); resolve(r) }
  current = e => done({ error: 'uncaught ' + (e.code || e.name) })
  pacote.extract('file:' + file, dest, { cache: dest + '.cache', umask: 0o022 })
    .then(() => done({}), e => done({ error: e.code || e.message }))
})

;(async () => {
  const dir = path.resolve(process.argv[2])
  const out = path.join(dir, 'out')
  for (const name of fs.readdirSync(dir).filter(n => n.endsWith('.tgz')).sort()) {
    const dest = path.join(out, name)
    const r = await one(path.join(dir, name), dest)
    // pacote's extract of a file: spec reads the manifest afterwards and may fail on a
    // tarball without package.json; what is on disk is what the installer wrote.
    const files = fs.existsSync(dest) ? list(dest, '', []) : []
    process.stdout.write(JSON.stringify({ archive: name, files, error: r.error || null }) + '\n')
    fs.rmSync(dest, { recursive: true, force: true })
    fs.rmSync(dest + '.cache', { recursive: true, force: true })
  }
})()
