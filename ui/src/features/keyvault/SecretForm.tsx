/** The form that sets a secret (a new secret, or a new version): `coffer keyvault secret set`. */
import { useState } from 'react';
import { Guarded } from '../../acl';
import { Field, Form } from '../../components';
import { useApi } from '../../session';
import { Checkbox } from './common';
import { fromLocalInput, parseTags, secretNameProblem, secretPath } from './model';

/** Sets a secret; `fixedName` for a new version of an existing secret. */
export function SecretForm({ vault, fixedName, onDone }: { vault: string; fixedName?: string; onDone(name: string, version?: string): void }) {
  const api = useApi();
  const [name, setName] = useState(fixedName ?? '');
  const [value, setValue] = useState('');
  const [contentType, setContentType] = useState('');
  const [enabled, setEnabled] = useState(true);
  const [nbf, setNbf] = useState('');
  const [exp, setExp] = useState('');
  const [tags, setTags] = useState('');
  const problem = name ? secretNameProblem(name) : undefined;
  const path = secretPath(vault, fixedName ?? (name && !problem ? name : 'new-secret'));
  return (
    <Guarded path={path} need={fixedName ? 'update' : 'create'}>
      {(g) => (
        <Form
          label={fixedName ? `New version of ${fixedName}` : 'Set a secret'}
          submitLabel={fixedName ? 'Save new version' : 'Set secret'}
          submitProps={{ ...g, disabled: g.disabled || !!problem || name === '' }}
          onSubmit={async () => {
            const p = secretNameProblem(name);
            if (p) throw new Error(`Invalid secret name: ${p}`);
            const attributes: Record<string, unknown> = { enabled };
            const nb = fromLocalInput(nbf, 'Not before');
            const ex = fromLocalInput(exp, 'Expires');
            if (nb !== undefined) attributes.nbf = nb;
            if (ex !== undefined) attributes.exp = ex;
            const body: Record<string, unknown> = { value, attributes };
            const t = parseTags(tags);
            if (Object.keys(t).length) body.tags = t;
            if (contentType.trim()) body.contentType = contentType.trim();
            const res = await api.write<{ version?: string }>(secretPath(vault, name.trim()), body);
            setValue('');
            if (!fixedName) setName('');
            onDone(name.trim(), res?.data?.version);
          }}
        >
          {!fixedName && <Field label="Secret name" value={name} onChange={(e) => setName(e.target.value)} hint={problem ?? '1-127 letters, digits and hyphens'} aria-invalid={problem ? true : undefined} required autoComplete="off" />}
          <Field label="Value" type="password" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="new-password" spellCheck={false} hint="Stored as is; shown masked afterwards" />
          <Field label="Content type" value={contentType} onChange={(e) => setContentType(e.target.value)} placeholder="text/plain" />
          <Checkbox label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          <Field label="Not before (UTC)" type="datetime-local" value={nbf} onChange={(e) => setNbf(e.target.value)} />
          <Field label="Expires (UTC)" type="datetime-local" value={exp} onChange={(e) => setExp(e.target.value)} />
          <Field label="Tags" multiline rows={3} value={tags} onChange={(e) => setTags((e.target as unknown as HTMLTextAreaElement).value)} hint="One key=value per line" />
        </Form>
      )}
    </Guarded>
  );
}
