import { expect } from 'chai';
import { defaultChatName } from '../../src/shared/default-name.ts';

describe('shared/default-name: the name a login form starts with', () => {
  it('is the name last used on that server, whatever the login name', () => {
    expect(defaultChatName('ada', 'root')).to.equal('ada');
  });

  it('is the login name when nothing was used there before', () => {
    expect(defaultChatName(undefined, 'grace')).to.equal('grace');
  });

  it('starts empty for a login name the server reserves (root, admin and look-alikes)', () => {
    for (const login of ['root', 'admin', 'Administrator', 'r00t', 'sys_op']) expect(defaultChatName(undefined, login), login).to.equal('');
  });
});
