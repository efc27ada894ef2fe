// Several sessions of one identity from the command line: the cap is a `parlor serve` flag, and
// `--replace` on a client verb logs the identity's other sessions out (the old behaviour).

import { expect } from 'chai';
import { connectChat, nextEvent } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { uiHome } from '../helpers/tmux.ts';

describe('cli: several sessions of one identity', function () {
  this.timeout(60_000);

  it('serve --max-sessions-per-identity caps them (TOO_MANY_SESSIONS); send --replace logs the others out', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'correct horse battery staple', '--max-sessions-per-identity', '1']);
    const [identity] = await sharedIdentities();
    const home = uiHome(identity); // a config dir holding this very identity, as a UI's would
    const ada = await connectChat(server, identity!, 'ada');
    const closed = nextEvent(ada, 'closed', 30_000);
    const as = ['--server', `${server.host}:${server.port}`, '--password', 'correct horse battery staple', '--name', 'ada', '--config', home.configDir, '--fingerprint', server.fingerprint];

    const refused = await runParlor(['send', ...as, 'one too many']);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/^parlor: TOO_MANY_SESSIONS: .*--replace/);
    expect(ada.connected).to.equal(true);

    const replacing = await runParlor(['send', ...as, '--replace', 'only me now']);
    expect(replacing.code, replacing.stderr).to.equal(0);
    expect((await closed)[0].reason.code).to.equal('SESSION_REPLACED');
  });
});
