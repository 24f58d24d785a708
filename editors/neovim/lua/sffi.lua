-- sffi-lsp for Neovim 0.7 and later, with the built-in client only
-- (`vim.lsp.start_client` + `vim.lsp.buf_attach_client`; 0.7 has no `vim.lsp.start`).
--
--   require('sffi').setup({
--     cmd = { 'sffi-lsp' },                 -- or { '/path/to/.venv/bin/sffi-lsp' }
--     settings = { libraries = { 'build/libfoo.so' } },  -- the `sffi` section, overlaid on sffi.toml
--   })
--
-- On Neovim 0.11+, prefer editors/neovim/lsp/sffi.lua with vim.lsp.enable('sffi').
local M = {}

M.defaults = {
  cmd = { 'sffi-lsp' },
  -- Files or directories that mark a project root, nearest first.
  root_markers = { 'sffi.toml', 'pyproject.toml', '.git' },
  settings = {},          -- sent as the `sffi` section (workspace/configuration)
  on_attach = nil,        -- function(client, bufnr)
  capabilities = nil,     -- e.g. require('cmp_nvim_lsp').default_capabilities()
}

local clients = {}        -- root dir -> client id
local config = vim.deepcopy(M.defaults)

-- An empty Lua table would be sent as a JSON array; the server wants an object.
local function as_object(t)
  if t == nil or next(t) == nil then
    return vim.empty_dict()
  end
  return t
end

local function find_root(path)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  while true do
    for _, marker in ipairs(config.root_markers) do
      if vim.loop.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      return vim.fn.fnamemodify(path, ':p:h')
    end
    dir = parent
  end
end

-- Start (or reuse) the client for this buffer's project and attach the buffer.
function M.attach(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' then
    return nil
  end
  local root = find_root(name)
  local id = clients[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil or vim.lsp.get_client_by_id(id).is_stopped() then
    id = vim.lsp.start_client({
      name = 'sffi',
      cmd = config.cmd,
      root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ':t') } },
      settings = { sffi = as_object(config.settings) },
      init_options = { sffi = as_object(config.settings) },
      capabilities = config.capabilities,
      on_attach = config.on_attach,
    })
    if id == nil then
      vim.notify('sffi: could not start ' .. table.concat(config.cmd, ' '), vim.log.levels.ERROR)
      return nil
    end
    clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

function M.setup(opts)
  config = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  -- Filetype detection: works on every version (the Simple plugin, when present, uses the same id).
  vim.cmd([[
    augroup sffi_lsp
      autocmd!
      autocmd BufRead,BufNewFile *.spl setfiletype simple
      autocmd BufRead,BufNewFile *.wrapper_spec setfiletype wrapper_spec
      autocmd FileType simple,wrapper_spec lua require('sffi').attach(tonumber(vim.fn.expand('<abuf>')))
    augroup END
  ]])
end

return M
