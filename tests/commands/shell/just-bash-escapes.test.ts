// Escape attempts against the default engine (just-bash in a worker): the host's files, the real
// disk, the server's environment, the network by every route a script could try, the tools that can
// run other programs (awk, sed, find, xargs, node, python), and other users' homes. Kept as tests
// so that an upgrade of just-bash that opens any of these fails here.

import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShellSandbox, type ShellResult } from '../../../src/commands/shell/sandbox.ts';
import {
  connectionWitness,
  PASSWD_TEXT,
  plantSecret,
  REPO,
  REPO_SECRET_TEXT,
  untouchedDir,
  type ConnectionWitness,
} from './witnesses.ts';

const SECRET_NAME = 'PARLOR_SHELL_TEST_SECRET';

describe('!shell sandbox (just-bash): escape attempts', () => {
  let sandbox: ShellSandbox;
  let secret: string;
  let run: (command: string, user?: string) => Promise<ShellResult>;

  before(async () => {
    secret = plantSecret(SECRET_NAME);
    sandbox = await ShellSandbox.create({ limits: { timeoutMs: 3000 } });
    run = (command, user = 'alice') => sandbox.run(user, command);
  });

  after(async () => {
    delete process.env[SECRET_NAME];
    await sandbox.close();
  });

  it('uses just-bash by default and runs a command', async () => {
    expect(sandbox.engine).to.equal('just-bash');
    const result = await run('echo hello; echo oops >&2; exit 3');
    expect(result).to.deep.equal({ output: 'hello\noops\n', exitCode: 3, truncated: false, timedOut: false, engine: 'just-bash' });
  });

  it('cannot read host files: /etc/passwd, /proc, the repository, through symlinks or ..', async () => {
    const attempts = [
      'cat /etc/passwd', 'cat < /etc/passwd', 'echo "$(< /etc/passwd)"', '. /etc/passwd', 'source /etc/hostname',
      'cat /proc/self/environ /proc/1/environ /proc/self/cmdline', `cat ${REPO}/package.json`, `ls -la ${REPO}`,
      'cat ../../../../../../etc/passwd', 'cd /; cd ..; cd ..; cat etc/passwd',
      'ln -s /etc/passwd p; cat p', `ln -s ${REPO} r; cat r/package.json`, `ln -s ../../../../..${REPO}/package.json q; cat q`,
      'grep -r root / 2>/dev/null | head', 'find / -name passwd -o -name package.json', `cp ${REPO}/package.json here; cat here`,
      `tar -cf - ${REPO}/package.json | tar -tvf -`, `base64 ${REPO}/package.json`,
    ];
    for (const attempt of attempts) {
      const { output } = await run(attempt);
      expect(output, attempt).not.to.include(PASSWD_TEXT);
      expect(output, attempt).not.to.include(REPO_SECRET_TEXT);
      expect(output, attempt).not.to.include(secret);
    }
    const { output } = await run('ls /');
    expect(output.split('\n').filter(Boolean)).to.have.members(['bin', 'dev', 'home', 'proc', 'tmp', 'usr']);
  });

  it('cannot write to the real disk', async () => {
    const witness = untouchedDir();
    const packageHash = createHash('sha256').update(readFileSync(join(REPO, 'package.json'))).digest('hex');
    const repoMarker = join(REPO, 'tests', 'commands', 'shell', 'escape-marker');
    const attempts = [
      `echo pwned > ${witness.dir}/a`, `mkdir -p ${witness.dir}/d && echo pwned > ${witness.dir}/d/b`,
      `echo pwned | tee ${witness.dir}/c`, `cp /bin/ls ${witness.dir}/ls`, `touch ${witness.dir}/t`,
      `echo x | sed 'w ${witness.dir}/sed'`, `awk 'BEGIN{print "x" > "${witness.dir}/awk"}'`,
      `ln -s ${witness.dir} w; echo pwned > w/link`, `cd ${witness.dir} && echo pwned > ./rel`,
      `echo pwned > ${repoMarker}`, `echo '{}' > ${REPO}/package.json`, `rm -rf ${REPO}/src`,
    ];
    for (const attempt of attempts) await run(attempt);
    witness.expectUntouched(repoMarker);
    expect(createHash('sha256').update(readFileSync(join(REPO, 'package.json'))).digest('hex')).to.equal(packageHash);
  });

  it("cannot see the server's environment: env, printenv, $VAR, set, export, /proc", async () => {
    expect(process.env[SECRET_NAME]).to.equal(secret); // planted in this very process
    const { output } = await run(
      `env; printenv; printenv ${SECRET_NAME}; echo "[$${SECRET_NAME}]"; set; export -p; declare -p; ` +
        'cat /proc/self/environ; cat /proc/1/environ; compgen -v',
    );
    expect(output).not.to.include(secret);
    expect(output).to.include(`[]`);
    for (const leak of [process.env.PATH, process.env.HOME, process.env.USER].filter((value) => value && value.length > 6)) {
      expect(output).not.to.include(`=${leak}\n`);
    }
  });

  describe('network', () => {
    let witness: ConnectionWitness;
    before(async () => {
      witness = await connectionWitness();
    });
    after(async () => {
      await witness.close();
    });

    it('reaches nothing by any route: curl, wget, /dev/tcp, nc, node, python, js-exec, sqlite3, html-to-markdown', async () => {
      const url = `http://127.0.0.1:${witness.port}/`;
      const attempts: Array<[string, RegExp]> = [
        [`curl -s ${url}`, /not found/],
        [`wget -qO- ${url}`, /not found/],
        [`echo hi > /dev/tcp/127.0.0.1/${witness.port}; cat < /dev/tcp/127.0.0.1/${witness.port}`, /./],
        [`exec 3<>/dev/tcp/127.0.0.1/${witness.port}; echo hi >&3; cat <&3`, /./],
        [`nc 127.0.0.1 ${witness.port}`, /not found/],
        [`node -e "require('net').connect(${witness.port}, '127.0.0.1')"`, /not found/],
        [`python3 -c "import socket; socket.create_connection(('127.0.0.1', ${witness.port}))"`, /not (found|available)/],
        [`python -c "import urllib.request; urllib.request.urlopen('${url}')"`, /not (found|available)/],
        [`js-exec -c "await fetch('${url}')"`, /not found/],
        [`sqlite3 :memory: "select 1"`, /not (found|available)/],
        [`echo '<a href="${url}">x</a>' | html-to-markdown`, /./],
        [`bash -c 'curl ${url}'; sh -c 'wget ${url}'`, /not found/],
        [`find / -maxdepth 0 -exec curl ${url} \\;`, /./],
        [`echo ${url} | xargs curl`, /./],
      ];
      for (const [attempt, expected] of attempts) {
        const { output } = await run(attempt);
        expect(output, attempt).not.to.include('reached');
        if (expected.source !== '.') expect(output, attempt).to.match(expected);
      }
      expect(witness.connections(), 'connections that reached the witness').to.equal(0);
    });
  });

  it('cannot run host programs through awk system()/getline/pipes, sed e/r/w, find -exec, xargs, env', async () => {
    const attempts = [
      `awk 'BEGIN{system("cat /etc/passwd")}'`,
      `awk 'BEGIN{while (("cat /etc/passwd" | getline line) > 0) print line}'`,
      `awk 'BEGIN{getline line < "/etc/passwd"; print line}'`,
      `awk 'BEGIN{print "x" | "cat /etc/passwd"}'`,
      `echo x | sed 'e cat /etc/passwd'`, `echo x | sed '1r /etc/passwd'`, `echo x | sed 's/x/cat \\/etc\\/passwd/e'`,
      'find / -maxdepth 0 -exec cat /etc/passwd \\;', 'find / -maxdepth 0 -execdir cat /etc/passwd \\;',
      'echo /etc/passwd | xargs cat', 'env cat /etc/passwd', 'timeout 1 cat /etc/passwd', 'exec cat /etc/passwd',
      '/usr/bin/cat /etc/passwd', 'PATH=/usr/bin:/bin:/usr/local/bin; perl -e 1; ruby -e 1; deno; bun; php -r 1',
    ];
    for (const attempt of attempts) {
      const { output } = await run(attempt);
      expect(output, attempt).not.to.include(PASSWD_TEXT);
    }
    const { output } = await run('node -e 1; python3 -c 1; python -c 1; js-exec -c 1; perl -e 1');
    expect(output.match(/not (found|available)/g), output).to.have.length(5);
  });

  it("keeps each user's home: it persists for its owner, and no other user can see it", async () => {
    const token = `mine-${secret}`;
    await run(`echo ${token} > diary; mkdir -p notes && echo ${token} > notes/a; ln -s diary d; ln diary hard`, 'carol');
    const own = await run('cat diary notes/a d hard; pwd', 'carol');
    expect(own.output).to.equal(`${token}\n`.repeat(4) + '/home/user\n');
    for (const attempt of ['cat diary notes/a d hard', 'ls -laR /home /tmp', 'grep -r mine- / 2>/dev/null']) {
      const other = await run(attempt, 'dave');
      expect(other.output, attempt).not.to.include(token);
    }
    expect((await run('find / -name diary -o -name notes', 'dave')).output).to.equal('');
  });

  it('strips terminal control sequences from the output', async () => {
    const { output } = await run(
      `printf '\\033[2J\\033[31mred\\033[0m \\033]0;title\\007\\033]52;c;aGk=\\033\\\\ok\\r\\n\\001\\002\\177tab\\there\\n'`,
    );
    expect(output).to.equal('red ok\ntab\there\n');
  });
});
