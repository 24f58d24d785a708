-- Drives Neovim (0.7+) headless through the shipped set-up editors/neovim/lua/sffi.lua:
-- opens a .spl file, waits for sffi diagnostics, asks for a hover, writes JSON.
-- Run as: nvim --headless --clean -u nvim_probe.lua   (inputs in SFFI_PROBE_* env vars)
local env = vim.env
local out_path = env.SFFI_PROBE_OUT
local result = { errors = {} }

local function now()
  local sec, usec = vim.loop.gettimeofday()
  return sec + usec / 1e6
end

local function finish()
  local f = io.open(out_path, 'w')
  f:write(vim.fn.json_encode(result))
  f:close()
  for _, client in pairs(vim.lsp.get_active_clients()) do
    client.stop(true)
  end
  vim.cmd('qa!')
end

local ok, err = pcall(function()
  result.nvim_version = tostring(vim.version().major) .. '.' .. vim.version().minor .. '.' .. vim.version().patch
  vim.opt.runtimepath:prepend(env.SFFI_NVIM_SETUP)
  vim.cmd('filetype on')
  require('sffi').setup({ cmd = vim.fn.json_decode(env.SFFI_SERVER_CMD) })

  vim.cmd('edit ' .. vim.fn.fnameescape(env.SFFI_PROBE_FILE))
  local bufnr = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[bufnr].filetype
  result.t_opened = string.format('%.6f', now())

  local timeout = tonumber(env.SFFI_PROBE_TIMEOUT_MS or '20000')
  local got = vim.wait(timeout, function() return #vim.diagnostic.get(bufnr) > 0 end, 10)
  result.t_first_diagnostic = got and string.format('%.6f', now()) or nil
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp_d = d.user_data and d.user_data.lsp or {}
    table.insert(result.diagnostics, {
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      severity = d.severity, message = d.message, source = d.source,
      code = d.code or lsp_d.code,
    })
  end

  local line = tonumber(env.SFFI_PROBE_HOVER_LINE)
  local character = tonumber(env.SFFI_PROBE_HOVER_CHAR)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = line, character = character },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', params, 10000) or {}
  result.hover = {}
  for _, response in pairs(responses) do
    if response.err then
      table.insert(result.errors, 'hover: ' .. vim.inspect(response.err))
    elseif response.result and response.result.contents then
      local c = response.result.contents
      if type(c) == 'table' and c.value then
        table.insert(result.hover, c.value)
      elseif type(c) == 'string' then
        table.insert(result.hover, c)
      else
        table.insert(result.hover, vim.inspect(c))
      end
    end
  end
  result.clients = #vim.lsp.get_active_clients()
end)
if not ok then
  table.insert(result.errors, tostring(err))
end
finish()
