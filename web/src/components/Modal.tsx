import { useEffect, useRef, type ReactNode } from "react";
import { Icon } from "./Icons";

/** Open modals, innermost last: Escape closes only the innermost (a confirm over a dialog). */
const open: symbol[] = [];

export function Modal(props: { title: string; onClose: () => void; children: ReactNode; wide?: boolean; testId?: string }) {
  // Callers pass a fresh onClose each render; the stack position must not change with it.
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;
  useEffect(() => {
    const me = Symbol("modal");
    open.push(me);
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && open[open.length - 1] === me) {
        e.stopPropagation();
        onClose.current();
      }
    };
    addEventListener("keydown", onKey);
    return () => {
      removeEventListener("keydown", onKey);
      open.splice(open.indexOf(me), 1);
    };
  }, []);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
      <div className={`modal ${props.wide ? "wide" : ""}`} role="dialog" aria-label={props.title} data-testid={props.testId}>
        <header>
          <h2>{props.title}</h2>
          <button className="icon" data-testid="modal-close" aria-label="Close" onClick={props.onClose}>
            {Icon.close(20)}
          </button>
        </header>
        {props.children}
      </div>
    </div>
  );
}

export function Confirm(props: { title: string; body: ReactNode; action: string; onConfirm: () => void; onClose: () => void }) {
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <div className="modal-body">{props.body}</div>
      <footer>
        <button className="ghost" onClick={props.onClose}>
          Cancel
        </button>
        <button
          className="danger"
          data-testid="confirm-ok"
          autoFocus
          onClick={() => {
            props.onConfirm();
            props.onClose();
          }}
        >
          {props.action}
        </button>
      </footer>
    </Modal>
  );
}

/** The error of a failed action, shown where the action was taken. */
export function ErrorText({ error, testId }: { error: string | null; testId?: string }) {
  return error ? (
    <div className="error-text" role="alert" data-testid={testId}>
      {error}
    </div>
  ) : null;
}
