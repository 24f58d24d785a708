-- sffi-lsp for Neovim 0.11+: put this file in a `lsp/` directory on 'runtimepath'
-- (e.g. ~/.config/nvim/lsp/sffi.lua) and call, in init.lua:
--
--   vim.filetype.add({ extension = { spl = 'simple', wrapper_spec = 'wrapper_spec' } })
--   vim.lsp.enable('sffi')
--
-- Or, without the file, pass the same table to vim.lsp.config('sffi', {...}).
-- Override the command or settings with vim.lsp.config('sffi', { cmd = {...}, settings = {...} }).
return {
  cmd = { 'sffi-lsp' },
  filetypes = { 'simple', 'wrapper_spec' },
  root_markers = { 'sffi.toml', 'pyproject.toml', '.git' },
  -- The `sffi` section: overlaid on the project's sffi.toml.
  settings = {
    sffi = {
      -- libraries = { 'build/libfoo.so' },
      -- runtimeMode = 'dynamic',
      -- abi = 'native',
      -- debounce = 150,
    },
  },
}
