-- A complete init.lua for Neovim 0.11+ (no plugin manager needed):
--   nvim -u editors/neovim/init-0.11.lua file.spl
vim.filetype.add({ extension = { spl = 'simple', wrapper_spec = 'wrapper_spec' } })

vim.lsp.config('sffi', {
  cmd = { 'sffi-lsp' },
  filetypes = { 'simple', 'wrapper_spec' },
  root_markers = { 'sffi.toml', 'pyproject.toml', '.git' },
  settings = { sffi = {} },
})
vim.lsp.enable('sffi')

-- Show diagnostics inline, hover on K (the 0.11 default), code actions on gra.
vim.diagnostic.config({ virtual_text = true, severity_sort = true })
