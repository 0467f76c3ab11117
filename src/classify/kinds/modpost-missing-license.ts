/** modpost-missing-license: `ERROR: modpost: missing MODULE_LICENSE() in drivers/x.o` (WARNING before 5.x). */
import { defineUnit, draft } from '../unit.js';
import { parseModpost } from './modpost.js';

const RE = /^missing MODULE_LICENSE\(\) in (?<obj>\S+)$/;

/** Unit recognising modules without MODULE_LICENSE(); file is the object, module the .ko. */
export const modpostMissingLicense = defineUnit({
  kind: 'modpost-missing-license',
  stage: 'modpost',
  infra: false,
  init: () => null,
  match(line, _st, ctx) {
    const p = parseModpost(line);
    if (!p) return null;
    const m = RE.exec(p.message);
    if (!m?.groups) return null;
    const file = ctx.rel(m.groups.obj!);
    return {
      draft: draft('modpost-missing-license', p.severity, p.message, {
        file,
        module: file.replace(/\.o$/, '.ko'),
      }),
    };
  },
});
