export { ErrorPanel, describeError } from './ErrorPanel';
export { ConfirmDialog } from './ConfirmDialog';
export { SecretValue } from './SecretValue';
export { CopyButton } from './CopyButton';
export { DownloadButton } from './DownloadButton';
export { Field, Form } from './Form';
export { Table, type Column } from './Table';
export { Spinner } from './Spinner';
