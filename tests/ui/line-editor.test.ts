import { expect } from 'chai';
import { LineEditor } from '../../src/ui/line-editor.ts';

const type = (editor: LineEditor, text: string) => {
  for (const ch of text) editor.key({ full: ch, ch });
};

describe('ui/line-editor', () => {
  it('edits at the cursor and submits the line', () => {
    const editor = new LineEditor();
    type(editor, 'helo');
    editor.key({ full: 'left' });
    type(editor, 'l');
    expect(editor.value).to.equal('hello');
    editor.key({ full: 'C-a' });
    editor.key({ full: 'delete' });
    expect(editor.value).to.equal('ello');
    expect(editor.key({ full: 'enter' }).submitted).to.equal('ello');
    expect(editor.value).to.equal('');
  });

  it('recalls sent lines with Up and Down, keeping the draft', () => {
    const editor = new LineEditor();
    type(editor, 'one');
    editor.key({ full: 'enter' });
    type(editor, 'two');
    editor.key({ full: 'enter' });
    type(editor, 'dra');
    editor.key({ full: 'up' });
    expect(editor.value).to.equal('two');
    editor.key({ full: 'up' });
    expect(editor.value).to.equal('one');
    editor.key({ full: 'up' });
    expect(editor.value).to.equal('one');
    editor.key({ full: 'down' });
    editor.key({ full: 'down' });
    expect(editor.value).to.equal('dra');
  });

  it('never keeps a control character, and hands Tab to completion', () => {
    const editor = new LineEditor();
    editor.key({ full: 'escape', ch: '\u001b' });
    editor.key({ full: 'C-g', ch: '\u0007' });
    expect(editor.value).to.equal('');
    expect(editor.key({ full: 'tab', ch: '\t' }).tab).to.equal(true);
  });

  it('shows the end of a long line with the cursor inside the field, masked when asked', () => {
    const editor = new LineEditor();
    type(editor, 'abcdefghij');
    expect(editor.view(5)).to.deep.equal({ text: 'ghij', cursor: 4 });
    expect(editor.view(20, true).text).to.equal('••••••••••');
  });
});
