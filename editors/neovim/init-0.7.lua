-- A complete init.lua for Neovim 0.7 to 0.10 (no plugin manager needed):
--   nvim -u editors/neovim/init-0.7.lua file.spl
-- Put editors/neovim on 'runtimepath' so that require('sffi') finds lua/sffi.lua
-- (or copy lua/sffi.lua to ~/.config/nvim/lua/).
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
vim.opt.runtimepath:prepend(here)
vim.cmd('filetype on')

require('sffi').setup({
  cmd = { 'sffi-lsp' },
  settings = {},
  on_attach = function(_, bufnr)
    local opts = { buffer = bufnr }
    vim.keymap.set('n', 'K', vim.lsp.buf.hover, opts)
    vim.keymap.set('n', 'gd', vim.lsp.buf.definition, opts)
    vim.keymap.set('n', '<leader>ca', vim.lsp.buf.code_action, opts)
  end,
})
