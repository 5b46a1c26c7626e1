# Build the Windows installer of Eventflow Monitor into dist\:
#   dist\eventflow-monitor-VERSION-windows-x64-setup.exe   (Inno Setup)
#   dist\eventflow-monitor-VERSION-windows-x64.zip         (the bundle, for no-install use)
#
# NOT RUN HERE: the project's machines are Linux. This is the recipe the CI workflow
# (packaging/ci/installers.yml) runs on a windows-2022 runner; it has not been tested.
#
# Needs: Python 3.11+ on PATH (python.exe), Inno Setup 6 (installed with Chocolatey if
# missing). Run from anywhere:  powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")

function Check([string]$What) {
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)" }
}

$version = (python packaging\requirements.py --version).Trim(); Check "reading the version"
Write-Host "== Eventflow Monitor $version for Windows x64"

# The build venv: runtime dependencies + PyInstaller only (no test tools, no project install).
if (Test-Path build\pkg-venv) { Remove-Item -Recurse -Force build\pkg-venv }
New-Item -ItemType Directory -Force build, dist | Out-Null
python -m venv build\pkg-venv; Check "venv"
$py = "build\pkg-venv\Scripts\python.exe"
python packaging\requirements.py | Set-Content -Encoding ascii build\pkg-requirements.txt
& $py -m pip install --quiet --upgrade pip; Check "pip upgrade"
& $py -m pip install --quiet -r build\pkg-requirements.txt; Check "pip install"

Write-Host "== bundle (PyInstaller)"
if (Test-Path build\bundle) { Remove-Item -Recurse -Force build\bundle }
& $py -m PyInstaller --noconfirm --log-level WARN --distpath build\bundle `
    --workpath build\pyinstaller packaging\eventflow.spec; Check "PyInstaller"
$bundle = "build\bundle\eventflow"

Write-Host "== smoke test of the bundle"
$env:QT_QPA_PLATFORM = "offscreen"
& "$bundle\eventflow.exe" --smoke-test --db build\smoke-offscreen.db; Check "offscreen smoke test"
Remove-Item Env:QT_QPA_PLATFORM
# The runner has a desktop session: this one uses the native windows platform plugin.
& "$bundle\eventflow.exe" --smoke-test --db build\smoke-windows.db; Check "windows smoke test"
$demo = & "$bundle\eventflow.exe" demo --headless --duration 2 --db build\smoke-demo.db
Check "headless demo"
$demo | Write-Host
if (-not ($demo -match "^Demo ran 2 s at .* [1-9][0-9]* orders")) { throw "the demo summary shows no orders" }

Write-Host "== installer (Inno Setup)"
$iscc = Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe"
if (-not (Test-Path $iscc)) {
    choco install innosetup --yes --no-progress; Check "installing Inno Setup"
}
& $iscc /Q "/DAppVersion=$version" packaging\windows\eventflow.iss; Check "ISCC"

Write-Host "== zip"
$zip = "dist\eventflow-monitor-$version-windows-x64.zip"
if (Test-Path $zip) { Remove-Item $zip }
Compress-Archive -Path "$bundle\*" -DestinationPath $zip

Get-ChildItem dist | Format-Table Name, Length
