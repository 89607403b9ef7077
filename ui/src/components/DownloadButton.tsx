/** Saves `content` as a file named `filename` (no server round trip; the data is already in the page). */
export function DownloadButton({ content, filename, type = 'application/octet-stream', label = 'Download' }: { content: string | Blob | (() => string | Blob); filename: string; type?: string; label?: string }) {
  return (
    <button
      type="button"
      onClick={() => {
        const data = typeof content === 'function' ? content() : content;
        const blob = data instanceof Blob ? data : new Blob([data], { type });
        const url = URL.createObjectURL(blob);
        const a = document.createElement('a');
        a.href = url;
        a.download = filename;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      }}
    >
      {label}
    </button>
  );
}
