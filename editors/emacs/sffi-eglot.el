;;; sffi-eglot.el --- sffi-lsp for Simple (.spl) files through eglot  -*- lexical-binding: t; -*-

;; Works with eglot 1.9+ (Debian's elpa-eglot, or built into Emacs 29+).
;;
;;   (add-to-list 'load-path "/path/to/sffi-lsp/editors/emacs")
;;   (require 'sffi-eglot)
;;   (setq sffi-lsp-command '("/path/to/.venv/bin/sffi-lsp"))   ; default: sffi-lsp on PATH
;;   (add-hook 'sffi-simple-mode-hook #'eglot-ensure)           ; start it on every .spl file
;;
;; Settings (the `sffi' section, overlaid on the project's sffi.toml) go in
;; `eglot-workspace-configuration', e.g. in .dir-locals.el:
;;
;;   ((nil . ((eglot-workspace-configuration
;;             . ((:sffi . (:runtimeMode "dynamic" :debounceMs 150)))))))

;;; Code:

(require 'eglot)

(defgroup sffi-lsp nil
  "Checks Simple extern fn declarations with sffi-lsp."
  :group 'tools)

(defcustom sffi-lsp-command '("sffi-lsp")
  "Command (program and arguments) that starts sffi-lsp on stdio."
  :type '(repeat string))

;; The Simple language's own mode is used when it is installed; otherwise a
;; minimal mode so that .spl files get a major mode eglot can be tied to.
(define-derived-mode sffi-simple-mode prog-mode "Simple"
  "Minimal major mode for Simple (.spl) source files."
  (setq-local comment-start "# ")
  (setq-local comment-start-skip "#+\\s-*")
  (modify-syntax-entry ?# "<" sffi-simple-mode-syntax-table)
  (modify-syntax-entry ?\n ">" sffi-simple-mode-syntax-table)
  (modify-syntax-entry ?_ "_" sffi-simple-mode-syntax-table))

(unless (rassq 'simple-mode auto-mode-alist)
  (add-to-list 'auto-mode-alist '("\\.spl\\'" . sffi-simple-mode)))

(defun sffi-lsp--contact (&optional _interactive)
  "The server command, read when eglot starts (so later changes apply)."
  sffi-lsp-command)

;; Language id "simple", as in VS Code; eglot derives it from the mode name
;; otherwise ("sffi-simple").
(put 'sffi-simple-mode 'eglot-language-id "simple")

(add-to-list 'eglot-server-programs
             '((sffi-simple-mode simple-mode) . sffi-lsp--contact))

(provide 'sffi-eglot)
;;; sffi-eglot.el ends here
