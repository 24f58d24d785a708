;;; emacs_probe.el --- drive Emacs + eglot in batch mode through editors/emacs/sffi-eglot.el  -*- lexical-binding: t; -*-
;; Opens a .spl file, waits for flymake diagnostics from sffi-lsp, asks for a hover,
;; writes JSON.  Inputs: SFFI_EMACS_SETUP, SFFI_SERVER_CMD (JSON array), SFFI_PROBE_FILE,
;; SFFI_PROBE_ROOT, SFFI_PROBE_HOVER_LINE / _CHAR (0-based), SFFI_PROBE_OUT, SFFI_PROBE_TIMEOUT_MS.
(require 'package)
(require 'json)
(setq package-directory-list (cons "/usr/share/emacs/site-lisp/elpa" package-directory-list))
(package-initialize)

(defvar probe-result (list (cons 'errors nil)))
(defun probe-put (key value) (setf (alist-get key probe-result) value))
(defun probe-now () (format "%.6f" (float-time)))

(defun probe-write ()
  (with-temp-file (getenv "SFFI_PROBE_OUT")
    (insert (json-encode probe-result))))

(condition-case err
    (let* ((root (file-name-as-directory (getenv "SFFI_PROBE_ROOT")))
           (timeout (/ (string-to-number (or (getenv "SFFI_PROBE_TIMEOUT_MS") "20000")) 1000.0))
           (inhibit-message t))
      (probe-put 'emacs_version emacs-version)
      (load (getenv "SFFI_EMACS_SETUP") nil t)
      (probe-put 'eglot_version (or (ignore-errors (package-desc-version (cadr (assq 'eglot package-alist)))) "builtin"))
      (setq sffi-lsp-command (append (json-read-from-string (getenv "SFFI_SERVER_CMD")) nil))
      ;; A transient project rooted at the example (no VC needed in batch mode).
      (setq project-find-functions (list (lambda (_dir) (cons 'transient root))))
      (setq eglot-sync-connect t)
      (find-file (getenv "SFFI_PROBE_FILE"))
      (probe-put 'major_mode (symbol-name major-mode))
      (probe-put 't_opened (probe-now))
      ;; `eglot-ensure' needs a command loop; call `eglot' with what it would guess.
      (apply #'eglot (eglot--guess-contact))
      (unless flymake-mode (flymake-mode 1))
      (let ((deadline (+ (float-time) timeout)))
        (while (and (null (flymake-diagnostics)) (< (float-time) deadline))
          (flymake-start)
          (accept-process-output nil 0.01)))
      (when (flymake-diagnostics) (probe-put 't_first_diagnostic (probe-now)))
      (probe-put 'diagnostics
                 (vconcat
                  (mapcar (lambda (d)
                            (list (cons 'line (1- (line-number-at-pos (flymake-diagnostic-beg d))))
                                  (cons 'col (save-excursion (goto-char (flymake-diagnostic-beg d)) (current-column)))
                                  (cons 'type (format "%s" (flymake-diagnostic-type d)))
                                  (cons 'text (flymake-diagnostic-text d))))
                          (flymake-diagnostics))))
      (let* ((server (eglot-current-server))
             (hover (jsonrpc-request
                     server :textDocument/hover
                     (list :textDocument (eglot--TextDocumentIdentifier)
                           :position (list :line (string-to-number (getenv "SFFI_PROBE_HOVER_LINE"))
                                           :character (string-to-number (getenv "SFFI_PROBE_HOVER_CHAR")))))))
        (probe-put 'hover (let ((c (plist-get hover :contents)))
                            (cond ((stringp c) c)
                                  ((plist-get c :value))
                                  (t (format "%S" c)))))
        (ignore-errors (eglot-shutdown server))))
  (error (probe-put 'errors (vector (format "%S" err)))))
(probe-write)
(kill-emacs 0)
