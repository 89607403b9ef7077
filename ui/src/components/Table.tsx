import type { ReactNode } from 'react';

/** A column of <Table>. */
export interface Column<Row> {
  header: string;
  cell(row: Row): ReactNode;
}

/** A plain data table with a caption (visually hidden with `hideCaption`); scrolls sideways on narrow screens. */
export function Table<Row>({ caption, columns, rows, rowKey, empty = 'Nothing here yet.', hideCaption }: { caption: string; columns: Column<Row>[]; rows: Row[]; rowKey(row: Row): string; empty?: ReactNode; hideCaption?: boolean }) {
  if (rows.length === 0) return <p className="empty">{empty}</p>;
  return (
    // Focusable and named: on a narrow screen it scrolls sideways, and keyboard users must be able to scroll it.
    <div className="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table>
        <caption className={hideCaption ? 'visually-hidden' : undefined}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col">
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) => (
                <td key={c.header}>{c.cell(r)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
